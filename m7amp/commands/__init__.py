"""The ``m7amp`` subcommands, one module per verb (``m7amp.cli`` dispatches to them).

Each module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int`` and imports
heavy things (TensorFlow, the simulator, matplotlib) inside ``run`` so that ``m7amp --help`` stays fast.
The library they drive lives beside this package (m7amp/ARCHITECTURE.md).
"""
