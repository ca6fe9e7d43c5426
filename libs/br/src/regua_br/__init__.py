"""What every Régua service needs to know about Brazil, in one pure library:
money and dates as debtors read them (:mod:`.formatting`), CPF and CNPJ
(:mod:`.documents`), the calendar (:mod:`.calendar`), the signed portal-link
token (:mod:`.tokens`) and a token bucket (:mod:`.rate_limit`)."""
