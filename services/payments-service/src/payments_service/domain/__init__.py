"""Pure payment rules: BR Code, boleto, webhook signatures, money parsing. No I/O."""
