"""Product-level operations shared by the steps (one home each): DataSet paths, units, the main dataset
of a file, the reference point, LOS geometry lookup, period selection with velocity/displacement, GNSS
projection. Steps import these; these never import a step."""
