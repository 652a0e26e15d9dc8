"""The account holder between validator and adaptor: the reference table's facts carried in `file.validated`.

The adaptor never reads the reference table (its version could change between the two steps), so
the validator sends what the adaptor needs about the debtor: its address, the charge bearer of
non-SEPA payments and the category purpose. These two functions are the only translation.
"""

from __future__ import annotations

from shared.contracts import AddressData, DebtorData, FileValidatedData
from shared.domain.adaptation import Debtor, registered_debtor
from shared.domain.addresses import Address
from shared.domain.reference import SenderPolicy


def debtor_data(policy: SenderPolicy | None) -> DebtorData:
    if policy is None:
        return DebtorData()
    debtor = registered_debtor(policy)
    address = None if debtor.address is None else AddressData(**debtor.address.to_record())
    return DebtorData(
        address=address, charge_bearer=policy.charge_bearer, category_purpose=debtor.category_purpose
    )


def debtor_from(data: FileValidatedData) -> Debtor:
    carried = data.debtor
    address = None if carried.address is None else Address(**carried.address.model_dump())
    return Debtor(data.sender_name, address, carried.charge_bearer, carried.category_purpose)
