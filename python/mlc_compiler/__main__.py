"""The `mlc` command of the wheel: the bundled mlc executable."""
import os
import sys

from ._compile import executable


def main():
    exe = executable()
    os.execv(exe, [exe] + sys.argv[1:])


if __name__ == "__main__":
    main()
