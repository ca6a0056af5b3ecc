"""What the pages show: descriptions of resources, page models, counts, the dataset's summary."""
