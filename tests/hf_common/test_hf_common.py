"""transformers' common model and config tests (``ModelTesterMixin``, ``ConfigTester``) on every ASEN class.

The test files come from the transformers sdist of the installed version (``fetch.py``), as for a model inside
transformers. Tests that cannot apply to ASEN are skipped below, each with its reason.
"""

from __future__ import annotations

import sys
import unittest

import torch
from transformers.models.auto import modeling_auto  # noqa: E402

from asen_fm import (
    AsenConfig,
    AsenForNodeRegression,
    AsenForSequenceClassification,
    AsenForTokenClassification,
    AsenModel,
)

sys.path.insert(0, str(__import__("fetch").ensure_hf_tests()))

# seq_length 8: test_load_with_mismatched_shapes calls the model on ids of length 8 written into the test.
# As for a model inside transformers, the auto mappings name the ASEN classes (the tests read them to tell
# base models from heads and to build labels).
modeling_auto.MODEL_MAPPING_NAMES["asen"] = "AsenModel"
modeling_auto.MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES["asen"] = "AsenForTokenClassification"
modeling_auto.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES["asen"] = "AsenForSequenceClassification"

from hf_tests.test_configuration_common import ConfigTester  # noqa: E402
from hf_tests.test_modeling_common import ModelTesterMixin, ids_tensor, random_attention_mask  # noqa: E402

NOT_APPLICABLE = {
    "test_inputs_embeds": "ASEN embeds ids and node features itself; it has no inputs_embeds argument",
    "test_inputs_embeds_matches_input_ids": "no inputs_embeds argument (node_features is the continuous one)",
}


class AsenModelTester:
    def __init__(self, parent, batch_size: int = 3, seq_length: int = 8):
        self.parent = parent
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.is_training = True
        self.vocab_size = 19
        self.hidden_size = 32
        self.num_hidden_layers = 2
        self.num_attention_heads = 4
        self.intermediate_size = 37
        self.num_labels = 3
        self.input_dim = 0

    def get_config(self) -> AsenConfig:
        return AsenConfig(
            vocab_size=self.vocab_size,
            input_dim=self.input_dim,
            hidden_size=self.hidden_size,
            num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads,
            intermediate_size=self.intermediate_size,
            num_labels=self.num_labels,
            hidden_dropout_prob=0.1,
            symmetries={"d": f"dihedral({self.seq_length})"},
        )

    def prepare_config_and_inputs_for_common(self):
        config = self.get_config()
        inputs = {
            "input_ids": ids_tensor([self.batch_size, self.seq_length], self.vocab_size),
            "attention_mask": random_attention_mask([self.batch_size, self.seq_length]),
        }
        return config, inputs


class AsenCommonTest(ModelTesterMixin, unittest.TestCase):
    all_model_classes = (
        AsenModel,
        AsenForTokenClassification,
        AsenForSequenceClassification,
        AsenForNodeRegression,
    )
    test_resize_embeddings = True
    has_attentions = True

    def setUp(self) -> None:
        self.model_tester = AsenModelTester(self)
        self.config_tester = ConfigTester(
            self, config_class=AsenConfig, hidden_size=36, num_attention_heads=4
        )

    def test_config(self) -> None:
        self.config_tester.run_common_tests()

    def _prepare_for_class(self, inputs_dict, model_class, return_labels=False):
        inputs_dict = super()._prepare_for_class(inputs_dict, model_class, return_labels=return_labels)
        if return_labels:
            b, n, k = self.model_tester.batch_size, self.model_tester.seq_length, self.model_tester.num_labels
            if model_class is AsenForTokenClassification:
                inputs_dict["labels"] = torch.zeros(b, n, dtype=torch.long)
            elif model_class is AsenForSequenceClassification:
                inputs_dict["labels"] = torch.zeros(b, dtype=torch.long)
            elif model_class is AsenForNodeRegression:
                inputs_dict["labels"] = torch.zeros(b, n, k)
        return inputs_dict


for _name, _reason in NOT_APPLICABLE.items():
    setattr(AsenCommonTest, _name, unittest.skip(_reason)(lambda self: None))
