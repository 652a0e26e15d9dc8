"""Every pain.001.001.09 element this pipeline writes, each defined once, as UTF-8 XML text.

The writer (`pain001.write_pain001`) streams these strings; nothing else in the code knows an element
name or the schema's order of children. Text is escaped here as libxml2 escapes it (`&`, `<`, `>`, and
`"` in attributes, a carriage return as `&#13;`), and a character XML 1.0 cannot carry raises
`ValueError`, as lxml does. Values that need neither (nearly all: validation has already turned names and
remittance text into the SEPA Latin set) pass one regular-expression test and are written as they are.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from shared.domain.addresses import Address
from shared.domain.canonical import CanonicalHeader, CreditTransfer, PaymentGroup

# Printable ASCII without & < > ": libxml2 writes such text verbatim, in text and in attributes.
_VERBATIM = re.compile(r"[ !#-%'-;=?-~]*").fullmatch
# What XML 1.0 cannot carry: C0 controls other than tab, newline, carriage return; surrogates; FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]").search
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))


def escape(text: str, *, attribute: bool = False) -> str:
    """`text` as XML character data (or, with `attribute`, inside double quotes)."""
    if _VERBATIM(text):
        return text
    if _NOT_XML(text):
        raise ValueError(f"All strings must be XML compatible: {text!r} has a character XML cannot carry")
    for plain, escaped in _ESCAPES:
        text = text.replace(plain, escaped)
    if attribute:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


def escaped(*texts: str, attribute: str = "") -> tuple[str, ...]:
    """The texts escaped as character data, then `attribute` escaped as an attribute value: one test
    for all of them in the usual case, where none needs escaping."""
    if _VERBATIM("".join(texts) + attribute):
        return (*texts, attribute)
    return (*map(escape, texts), escape(attribute, attribute=True))


# The element helpers below take text that is already escaped (see `escaped`), so that a transaction
# is tested once rather than once per element.


def _leaf(tag: str, text: str) -> str:
    return f"<{tag}>{text}</{tag}>"


def _party(tag: str, name: str, address: str = "") -> str:
    """A PartyIdentification135: its name, and its postal address when there is one."""
    return f"<{tag}><Nm>{name}</Nm>{address}</{tag}>"


def _postal_address(address: Address | None) -> str:
    """A structured PostalAddress24 (children in schema order), or nothing."""
    return "" if address is None else _address_xml(address)


@lru_cache(maxsize=4096)  # creditors' addresses repeat from row to row
def _address_xml(address: Address) -> str:
    street, building, postcode, town, country, _ = escaped(
        address.street, address.building, address.postcode, address.town, address.country
    )
    parts = (
        ("StrtNm", street),
        ("BldgNb", building),
        ("PstCd", postcode),
        ("TwnNm", town),
        ("Ctry", country),
    )
    return "<PstlAdr>" + "".join(_leaf(tag, text) for tag, text in parts if text) + "</PstlAdr>"


def _payment_type(service_level: str | None, category_purpose: str | None) -> str:
    """PmtTpInf: the service level (SEPA) and the category purpose (e.g. SALA), when there are any."""
    if not service_level and not category_purpose:
        return ""
    level = f"<SvcLvl>{_leaf('Cd', service_level)}</SvcLvl>" if service_level else ""
    purpose = f"<CtgyPurp>{_leaf('Cd', category_purpose)}</CtgyPurp>" if category_purpose else ""
    return f"<PmtTpInf>{level}{purpose}</PmtTpInf>"


def _account(tag: str, iban: str) -> str:
    return f"<{tag}><Id><IBAN>{iban}</IBAN></Id></{tag}>"


def _agent(tag: str, bic: str) -> str:
    """A financial institution by BIC, or `NOTPROVIDED` (EPC usage when the BIC is not known)."""
    if bic:
        return f"<{tag}><FinInstnId><BICFI>{bic}</BICFI></FinInstnId></{tag}>"
    return f"<{tag}><FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId></{tag}>"


def decimal_text(value: Decimal) -> str:
    """`format(value, "f")`, the amount without an exponent. `str` writes the same digits unless it
    would use an exponent (it then has an `E`), and is several times faster: it is called per payment."""
    text = str(value)
    return text if "E" not in text else format(value, "f")


def group_header(header: CanonicalHeader) -> str:
    msg_id, sender_name, _ = escaped(header.msg_id, header.sender_name)
    created = header.creation_time.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return (
        f"<GrpHdr>{_leaf('MsgId', msg_id)}{_leaf('CreDtTm', created)}"
        f"{_leaf('NbOfTxs', str(header.nb_of_txs))}{_leaf('CtrlSum', format(header.ctrl_sum, 'f'))}"
        f"{_party('InitgPty', sender_name)}</GrpHdr>"
    )


def payment_info_start(group: PaymentGroup, debtor_agent_bic: str | None) -> str:
    """The opening tag of a PmtInf block and its children that come before the transactions."""
    pmt_inf_id, name, iban, bic, level, purpose, bearer, _ = escaped(
        group.pmt_inf_id, group.debtor_name, group.debtor_iban, debtor_agent_bic or "",
        group.service_level or "", group.category_purpose or "", group.charge_bearer or "",
    )  # fmt: skip
    return (
        f"<PmtInf>{_leaf('PmtInfId', pmt_inf_id)}<PmtMtd>TRF</PmtMtd>"
        f"{_leaf('NbOfTxs', str(group.nb_of_txs))}{_leaf('CtrlSum', format(group.ctrl_sum, 'f'))}"
        f"{_payment_type(level, purpose)}"
        f"<ReqdExctnDt>{_leaf('Dt', group.execution_date.isoformat())}</ReqdExctnDt>"
        f"{_party('Dbtr', name, _postal_address(group.debtor_address))}{_account('DbtrAcct', iban)}"
        f"{_agent('DbtrAgt', bic)}{_leaf('ChrgBr', bearer) if bearer else ''}"
    )


PAYMENT_INFO_END = "</PmtInf>"


def transaction(tx: CreditTransfer) -> str:
    """One CdtTrfTxInf, its children in schema order; optional ones only when they have a value.
    Called once per payment: the elements only a transaction has are written in place."""
    values: tuple[str, ...] = (tx.end_to_end_id, tx.creditor_name, tx.creditor_iban, tx.creditor_bic or "",
                               tx.remittance_info, tx.ultimate_debtor or "", tx.currency)  # fmt: skip
    if _VERBATIM("".join(values)) is None:
        values = (*map(escape, values[:-1]), escape(tx.currency, attribute=True))
    e2e, name, iban, bic, remittance, ultimate, currency = values
    address = tx.creditor_address
    return (
        f"<CdtTrfTxInf><PmtId><EndToEndId>{e2e}</EndToEndId></PmtId>"
        f'<Amt><InstdAmt Ccy="{currency}">{decimal_text(tx.amount)}</InstdAmt></Amt>'
        f"{_party('UltmtDbtr', ultimate) if ultimate else ''}{_agent('CdtrAgt', bic) if bic else ''}"
        f"{_party('Cdtr', name, _address_xml(address) if address else '')}{_account('CdtrAcct', iban)}"
        f"{f'<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>' if remittance else ''}</CdtTrfTxInf>"
    )
