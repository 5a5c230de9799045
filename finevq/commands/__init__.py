"""Command-line layers of the benchmark, training and evaluation workflow.

They live apart from the libraries they drive so that `finevq --help` or `finevq assess`
does not import scipy.stats, matplotlib or the synthetic generator: each command imports
its library when it runs.
"""
