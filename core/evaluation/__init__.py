"""Member evaluation (评议, SUP-3): a superior's rounds, the members' secret ballots, results."""
