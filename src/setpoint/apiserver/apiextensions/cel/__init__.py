"""CEL rules (``x-kubernetes-validations``): parse, library, cost, evaluate."""
