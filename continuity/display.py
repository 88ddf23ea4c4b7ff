"""Numbers as the commands print them, in French: a decimal comma."""


def decimal(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")
