"""`python -m bot.demo` is `python -m bot demo`."""

import sys

from bot.demo.run import main

sys.exit(main(sys.argv[1:]))
