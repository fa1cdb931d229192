"""Who may do what with workspaces, members, invitations, tokens and the audit trail."""

from traction.core.permissions import ALL, everyone, rule

RULES = [
    everyone("workspace.view", description="Open the workspace and its home page."),
    everyone("member.view", description="See who belongs to the workspace and their roles."),
    rule("member.manage", description="Invite members, change roles, remove members.", admin=ALL),
    rule(
        "workspace.configure",
        description="Change the workspace's name, time zone and the logo its customers see.",
        admin=ALL,
    ),
    rule("audit.view", description="Read the audit trail.", admin=ALL),
    everyone("token.manage_own", description="Create and revoke one's own API tokens."),
    rule(
        "token.manage_all",
        description="See every member's API tokens and their last use, and revoke them.",
        admin=ALL,
    ),
    everyone("settings.own", description="See and change one's own settings."),
]
