"""Stand-in for transformers' ``tests/exporters/test_export.py`` (its ``ExportTesterMixin``), which the sdist
does not carry: ``test_torch_export_static`` and ``test_torch_export_dynamic`` export every model class with
transformers' own ``DynamoExporter`` (dynamic: every input axis ``Dim.AUTO``, as transformers' test does) and
compare the program's outputs with eager ones. The dynamic program must also run a larger padded batch.
"""

from __future__ import annotations

import copy

import torch


class ExportTesterMixin:
    def _export_and_compare(self, dynamic: bool, atol: float = 1e-4, rtol: float = 1e-4) -> None:
        from transformers.exporters.exporter_dynamo import DynamoConfig, DynamoExporter
        from transformers.exporters.utils import get_leaf_tensors

        for model_class in self.all_model_classes:
            config, inputs = self.model_tester.prepare_config_and_inputs_for_common()
            model = model_class(config).eval()
            with self.subTest(model_class.__name__), torch.no_grad():
                exported = DynamoExporter().export(model, inputs, config=DynamoConfig(dynamic=dynamic))
                expected = get_leaf_tensors(model(**copy.deepcopy(inputs)))
                got = get_leaf_tensors(exported(**copy.deepcopy(inputs)))
                self.assertTrue(expected)
                torch.testing.assert_close(got, expected, atol=atol, rtol=rtol)
                if not dynamic:
                    continue
                batch, n = inputs["input_ids"].shape
                ids = torch.randint(0, config.vocab_size, (batch + 2, n + 3))
                mask = torch.zeros(batch + 2, n + 3, dtype=torch.long)
                mask[:, :n] = inputs["attention_mask"][torch.arange(batch + 2) % batch]
                wider = {"input_ids": ids, "attention_mask": mask}
                torch.testing.assert_close(
                    get_leaf_tensors(exported.program.module()(**wider)),
                    get_leaf_tensors(model(**wider)),
                    atol=atol,
                    rtol=rtol,
                )

    def test_torch_export_static(self) -> None:
        self._export_and_compare(dynamic=False)

    def test_torch_export_dynamic(self) -> None:
        self._export_and_compare(dynamic=True)
