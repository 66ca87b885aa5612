"""Staff pages about clients, their assets and contracts.

They gather what several apps hold about a client (tickets, contracts, checks), so they live
here, on the side of the house that may read every app, and the ``clients`` and ``contracts``
apps keep importing nothing downstream of them.
"""
