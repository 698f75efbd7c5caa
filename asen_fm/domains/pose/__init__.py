"""Human pose lifting (2-D joints -> 3-D joints) on the 16-joint Human3.6M skeleton (paper's Tab. 1)."""
