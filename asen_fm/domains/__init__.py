"""Application domains: data generators and converters (pose, traffic, images)."""
