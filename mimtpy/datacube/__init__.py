"""Datacubes: NetCDF/Zarr export (``netcdf``), strain rates of velocity fields (``strain``) and particle
tracking (``track``), for InSAR cubes (MintPy, LiCSBAS/AlignSAR) and NASA ITS_LIVE velocity cubes."""
