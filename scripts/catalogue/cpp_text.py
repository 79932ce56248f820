"""Reading C++ sources as text, for the derivations that take a table from a runtime's code (derive_tflite.py's
TFLite Micro kernels, derive_xnnpack.py's delegate): comments stripped, brace-balanced blocks."""
import re


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", " ", re.sub(r"//[^\n]*", "", text), flags=re.S)


def closing(text, start, pair="{}"):
    """The index of the bracket closing the one at `start` (`pair`: its opening and closing characters)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == pair[0]:
            depth += 1
        elif text[i] == pair[1]:
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced {pair}")


def closing_brace(text, start):
    """The index of the brace closing the one at `start`."""
    return closing(text, start, "{}")


def block(text, start):
    """The brace-balanced block that opens at the first `{` from `start`."""
    i = text.index("{", start)
    return text[i:closing_brace(text, i) + 1]
