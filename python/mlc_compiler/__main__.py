"""The `mlc` command of the wheel: the bundled mlc executable."""
import os
import sys

from ._compile import executable, mlc_env


def main():
    exe = executable()
    os.execve(exe, [exe] + sys.argv[1:], mlc_env())


if __name__ == "__main__":
    main()
