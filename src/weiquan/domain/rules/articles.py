"""The articles findings rest on, keyed exactly as in the statute knowledge base (statutes.yaml).

An article written ``"55(1)"`` is paragraph (款) 1 of Art 55.  ``unverified`` marks bases that the
research notes could not confirm against a primary text; findings citing them carry a caveat.
"""

from __future__ import annotations

import re

from weiquan.domain.rules.model import ArticleRef

LAW_SHORT_NAMES_ZH: dict[str, str] = {
    "consumer_rights_law": "消费者权益保护法",
    "consumer_rights_regulation": "消费者权益保护法实施条例",
    "ecommerce_law": "电子商务法",
    "seven_day_return_measures": "网络购买商品七日无理由退货暂行办法",
    "complaint_measures": "市场监督管理投诉举报处理暂行办法",
    "penalty_procedure_rules": "市场监督管理行政处罚程序规定",
    "consumer_penalty_measures": "侵害消费者权益行为处罚办法",
    "food_safety_law": "食品安全法",
    "food_drug_punitive_interpretation": "食品药品惩罚性赔偿解释",
    "product_quality_law": "产品质量法",
    "civil_code": "民法典",
    "trademark_law": "商标法",
    "anti_monopoly_law": "反垄断法",
    "monopoly_agreement_provisions": "禁止垄断协议规定",
    "online_consumption_interpretation": "网络消费纠纷解释（一）",
    "prepaid_interpretation": "预付式消费纠纷解释",
    "ip_online_reply": "涉网络知识产权侵权纠纷批复",
    "monopoly_civil_interpretation": "垄断民事纠纷解释",
}

_PARAGRAPH = re.compile(r"^(\d+)\((\d+)\)$")


def _citation(law: str, article: str) -> str:
    name = LAW_SHORT_NAMES_ZH[law]
    match = _PARAGRAPH.match(article)
    if match:
        return f"《{name}》第{match[1]}条第{match[2]}款"
    if article.isdigit():
        return f"《{name}》第{article}条"
    if re.fullmatch(r"\d+-\d+", article):
        first, last = article.split("-")
        return f"《{name}》第{first}–{last}条"
    return f"《{name}》{article}"


def ref(law: str, article: str, *, unverified: bool = False) -> ArticleRef:
    return ArticleRef(
        law=law, article=article, citation=_citation(law, article), unverified=unverified
    )


# 消费者权益保护法, 2013
CPL_23 = ref("consumer_rights_law", "23")
CPL_24 = ref("consumer_rights_law", "24")
CPL_25 = ref("consumer_rights_law", "25")
CPL_44 = ref("consumer_rights_law", "44")
CPL_49 = ref("consumer_rights_law", "49")
CPL_51 = ref("consumer_rights_law", "51")
CPL_53 = ref("consumer_rights_law", "53")
CPL_55_1 = ref("consumer_rights_law", "55(1)")
CPL_55_2 = ref("consumer_rights_law", "55(2)")
CPL_56 = ref("consumer_rights_law", "56")

# 消费者权益保护法实施条例, 2024
REG_18 = ref("consumer_rights_regulation", "18")
REG_19 = ref("consumer_rights_regulation", "19")
REG_22 = ref("consumer_rights_regulation", "22")
REG_46 = ref("consumer_rights_regulation", "46")
REG_49_1 = ref("consumer_rights_regulation", "49(1)")
REG_49_2 = ref("consumer_rights_regulation", "49(2)")

# 电子商务法, 2018
ECL_20 = ref("ecommerce_law", "20")
ECL_35 = ref("ecommerce_law", "35")
ECL_37 = ref("ecommerce_law", "37")
ECL_38 = ref("ecommerce_law", "38")
ECL_42 = ref("ecommerce_law", "42")
ECL_43 = ref("ecommerce_law", "43")
ECL_51 = ref("ecommerce_law", "51")

# 网络购买商品七日无理由退货暂行办法
SDR_6 = ref("seven_day_return_measures", "6")
SDR_7 = ref("seven_day_return_measures", "7")
SDR_8 = ref("seven_day_return_measures", "8")
SDR_10 = ref("seven_day_return_measures", "10")
SDR_13 = ref("seven_day_return_measures", "13")
SDR_31 = ref("seven_day_return_measures", "31")

# 市场监督管理投诉举报处理暂行办法; 行政处罚程序规定
CMP_14 = ref("complaint_measures", "14")
CMP_15 = ref("complaint_measures", "15")
CMP_21 = ref("complaint_measures", "21")
CMP_31 = ref("complaint_measures", "31")
PPR_18 = ref("penalty_procedure_rules", "18")

# 侵害消费者权益行为处罚办法, 2015
CPM_8 = ref("consumer_penalty_measures", "8")
CPM_9 = ref("consumer_penalty_measures", "9")
CPM_10 = ref("consumer_penalty_measures", "10")
CPM_16 = ref("consumer_penalty_measures", "16")

# 食品安全法 and the 2024 punitive-damages interpretation
FSL_148_2 = ref("food_safety_law", "148(2)")
FDI_1 = ref("food_drug_punitive_interpretation", "1")
FDI_9 = ref("food_drug_punitive_interpretation", "9")
FDI_15 = ref("food_drug_punitive_interpretation", "15")

# 产品质量法, 民法典
PQL_40 = ref("product_quality_law", "40")
PQL_45 = ref("product_quality_law", "45")
CC_188 = ref("civil_code", "188")
CC_203 = ref("civil_code", "203")
CC_582 = ref("civil_code", "582")
CC_610 = ref("civil_code", "610")
CC_621 = ref("civil_code", "621")
CC_1207 = ref("civil_code", "1207")

# Interpretations: online consumption (2022), prepaid consumption (2025)
OCI_2 = ref("online_consumption_interpretation", "2")
OCI_3 = ref("online_consumption_interpretation", "3")
OCI_4 = ref("online_consumption_interpretation", "4")
OCI_11 = ref("online_consumption_interpretation", "11")
PPI_14 = ref("prepaid_interpretation", "14")
PPI_16 = ref("prepaid_interpretation", "16")
PPI_18 = ref("prepaid_interpretation", "18")
PPI_19 = ref("prepaid_interpretation", "19")
PPI_22 = ref("prepaid_interpretation", "22")

# Intellectual property and competition
TML_63 = ref("trademark_law", "63")
TML_64 = ref("trademark_law", "64")
# The 2020 reply's paragraph on notarisation delays: its number was not seen in a primary text.
IPR_2 = ref("ip_online_reply", "2", unverified=True)
AML_18 = ref("anti_monopoly_law", "18")
AML_56 = ref("anti_monopoly_law", "56")
AML_63 = ref("anti_monopoly_law", "63")
MCI_21_23 = ref("monopoly_civil_interpretation", "21-23")
# The 2026 safe harbour's figures are confirmed; its article number is not.
MAP_SAFE_HARBOUR = ref("monopoly_agreement_provisions", "safe-harbour", unverified=True)

ALL_ARTICLES: tuple[ArticleRef, ...] = tuple(
    value for value in list(globals().values()) if isinstance(value, ArticleRef)
)
