from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.authz.test_matrix import CHECKED, THIRD_PASS

    if CHECKED:
        terminalreporter.write_line(
            f"authorization matrix: {len(CHECKED)} route × principal cases checked, "
            f"{len(THIRD_PASS)} of them in the third pass (own workspace, outside own scope)"
        )
