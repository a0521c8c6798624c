"""CustomResourceDefinitions: validation, structural schemas, serving custom resources."""
