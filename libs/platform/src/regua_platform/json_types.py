"""Request field types that take exactly what their JSON Schema admits.

Pydantic's lax mode turns ``"12"`` into 12 and ``"false"`` into False; a JSON
Schema ``integer`` or ``boolean`` admits neither, and an API that accepts what
its document forbids teaches clients to depend on it. Request models use these
instead of ``int`` and ``bool``:

- :data:`JsonInt`: a JSON integer, which per JSON Schema includes ``1.0``
  (taken as 1); ``1.5``, ``"1"`` and booleans are refused.
- :data:`JsonBool`: ``true`` or ``false`` only.

Give bounds as the field's default (``x: JsonInt = Field(ge=0)``); nested in
another ``Annotated`` they would be left out of the JSON Schema (pydantic
writes them as raw ``gt``/``le`` keys), so a bounded alias is written flat:
``Annotated[int, Field(gt=0), Strict(), BeforeValidator(integral)]``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool, StrictInt, WithJsonSchema


def integral(value: Any) -> Any:
    """``1.0`` as 1; anything else as it came."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[StrictInt, BeforeValidator(integral)]
JsonBool = StrictBool


#: The JSON Schema of values whose validity no pattern states, as a custom
#: ``format`` named in the document (clients see the format and the
#: description; the service checks the rest and answers 422 otherwise).
#: Put in a field's ``Annotated`` next to its validators.
CPF_CNPJ = WithJsonSchema(
    {
        "type": "string",
        "format": "cpf-cnpj",
        "description": "A CPF (11 digits) or CNPJ (14 characters, numeric or alphanumeric) with valid "
        "check digits; dots, slashes, dashes and spaces are ignored.",
    }
)
CNPJ = WithJsonSchema(
    {
        "type": "string",
        "format": "cnpj",
        "description": "A CNPJ (14 characters, numeric or alphanumeric) with valid check digits; "
        "dots, slashes and dashes are ignored.",
    }
)
PHONE = WithJsonSchema(
    {
        "type": "string",
        "format": "phone",
        "description": "A phone number that exists (libphonenumber's rules); without a country code "
        "it is read as Brazilian, e.g. (11) 91234-5678 or +55 11 91234-5678.",
    }
)


#: Patterns for free text in request bodies: no control characters (PostgreSQL
#: text cannot hold NUL, and none belongs in a name, a key or a path), and for
#: VISIBLE_TEXT at least one character that is not a space.
TEXT = r"^[^\x00-\x1f\x7f]*$"
VISIBLE_TEXT = r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"
