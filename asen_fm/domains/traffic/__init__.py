"""Traffic forecasting on a sensor graph (METR-LA / PEMS-BAY and a synthetic stand-in; paper's Tab. 2)."""
