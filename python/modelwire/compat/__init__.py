"""Drop-in surfaces for the libraries modelwire replaces: import what the library's own code imports.

``modelwire.compat.data_designer`` serves NVIDIA NeMo Data Designer's model-client layer. This package sits
at the top of the layers (beside ``cli``): it may use every layer, and nothing in modelwire imports it.
"""
