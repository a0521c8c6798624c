"""Authentication: who a request is from.

:mod:`.union` (client certificates, bearer tokens, anonymous), :mod:`.tokenfile` (static
tokens), :mod:`.serviceaccount` and :mod:`.jwt` (ServiceAccount tokens), :mod:`.impersonation`
(``Impersonate-*`` headers), :mod:`.endpoints` (TokenRequest, TokenReview,
SelfSubjectReview), assembled by :mod:`.authentication`.
"""
