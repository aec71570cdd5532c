import os
import sys

# The fault suite runs the same real parts as the integration tests: reuse their harness.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
