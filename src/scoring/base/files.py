"""File names that several stages agree on.

The inputs stage refuses a folder holding a run's manifest (it is an output folder, not
submissions), and the outputs stage writes that manifest: both read the name here.
"""

MANIFEST = "manifest.json"  # beside a run's outputs: what produced them (scoring.outputs.manifest)
