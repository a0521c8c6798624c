"""Authentication: who a request comes from (kube-apiserver's ``pkg/authentication``)."""
