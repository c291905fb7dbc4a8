"""The PAP rules one by one: each takes the case and returns a RuleResult that explains itself.

:mod:`formservice.reimbursement.pap` combines them into a decision. The eligibility conditions
are in `conditions`, the automatic qualifications (income, hardship) in `income`, the
conditional coverage paths in `coverage`; `result` holds the `RuleResult` they all return.
"""

from formservice.errors import PapInputError
from formservice.reimbursement.money import usd
from formservice.reimbursement.pap_rules.conditions import (
    check_address,
    check_adult,
    check_buy_and_bill,
    check_diagnosis,
    check_prescription,
    is_physical_address,
    is_valid_npi,
)
from formservice.reimbursement.pap_rules.coverage import check_coverage_paths
from formservice.reimbursement.pap_rules.income import (
    HardshipCost,
    check_hardship,
    check_income,
    config,
    empty_fpl,
)
from formservice.reimbursement.pap_rules.result import RuleResult

__all__ = [
    "HardshipCost",
    "PapInputError",
    "RuleResult",
    "check_address",
    "check_adult",
    "check_buy_and_bill",
    "check_coverage_paths",
    "check_diagnosis",
    "check_hardship",
    "check_income",
    "check_prescription",
    "config",
    "empty_fpl",
    "is_physical_address",
    "is_valid_npi",
    "usd",
]
