"""Who may do what with workspaces, members, invitations, tokens and the audit trail."""

from traction.core.permissions import ALL, rule

EVERY_ROLE = dict(
    admin=ALL, facilitator=ALL, core_team=ALL, sponsor=ALL, account_owner=ALL, observer=ALL
)

RULES = [
    rule("workspace.view", description="Open the workspace and its home page.", **EVERY_ROLE),
    rule("member.view", description="See who belongs to the workspace and their roles.", **EVERY_ROLE),
    rule("member.manage", description="Invite members, change roles, remove members.", admin=ALL),
    rule("audit.view", description="Read the audit trail.", admin=ALL),
    rule("token.manage_own", description="Create and revoke one's own API tokens.", **EVERY_ROLE),
]
