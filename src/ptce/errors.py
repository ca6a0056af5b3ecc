"""The one base of the errors ptce reports to its users: a message (the command line) or a status (the web)."""


class PtceError(Exception):
    """Something wrong with the input, the data or a server, said in words a user can act on; never a traceback."""
