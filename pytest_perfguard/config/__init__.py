"""Settings: marker > command line > ini > default, validated, each error naming its source."""
