"""Application domains: data builders, groups and task cards (pose lifting, traffic forecasting, images)."""
