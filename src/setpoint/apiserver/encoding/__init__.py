"""Wire formats: Status errors, patches, kube protobuf bodies."""
