"""asen-fm: Any-Subgroup Equivariant transformer foundation models.

Importing the package registers the ASEN classes with the ``transformers`` Auto classes, so
``AutoModel.from_pretrained(folder)`` works in-process without ``trust_remote_code``.
"""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from . import hub
from .collator import AsenDataCollator
from .configuration_asen import AsenConfig
from .equivariance import assert_equivariant
from .modeling_asen import (
    AsenForMultiTask,
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    AsenModel,
    AsenPreTrainedModel,
    SymmetryEmbedder,
)
from .symmetry.registry import declare_group_module

__version__ = "0.1.0"

AutoConfig.register(AsenConfig.model_type, AsenConfig, exist_ok=True)
AutoModel.register(AsenConfig, AsenModel, exist_ok=True)
AutoModelForTokenClassification.register(AsenConfig, AsenForTokenClassification, exist_ok=True)
AutoModelForSequenceClassification.register(AsenConfig, AsenForSequenceClassification, exist_ok=True)
hub.install()
# Group names that application domains register: a spec naming one imports its module on first use.
SKELETON_GROUPS = ("skeleton16_flip", "skeleton16_limbs", "skeleton16_pairs")
declare_group_module("asen_fm.domains.pose.skeleton", SKELETON_GROUPS)

__all__ = [
    "AsenConfig",
    "AsenDataCollator",
    "AsenForMultiTask",
    "AsenForNodeRegression",
    "AsenForSequenceClassification",
    "AsenForTokenClassification",
    "AsenModel",
    "AsenPreTrainedModel",
    "SymmetryEmbedder",
    "__version__",
    "assert_equivariant",
]
