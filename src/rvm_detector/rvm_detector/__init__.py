"""YOLO11 segmentation with SAM2 mask refinement and one verdict per inserted item."""
