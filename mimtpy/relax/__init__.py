"""Modelling steps: the grid search of forward models (``gridsearch``) and RELAX run scripts (``relax``)."""
