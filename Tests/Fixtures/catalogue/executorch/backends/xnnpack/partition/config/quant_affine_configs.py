class QDQAffineConfigs(XNNPartitionerConfig):
    ...
    def supported_precision_types(self):
        return [ConfigPrecisionType.DYNAMIC_QUANT]
class QuantizeAffineConfig(QDQAffineConfigs):
    ...
    target_name = "quantize_affine.default"
    def get_original_aten(self):
        return torch.ops.torchao.quantize_affine.default
class DeQuantizeAffineConfig(QDQAffineConfigs):
    ...
    target_name = "dequantize_affine.default"
    def get_original_aten(self):
        return torch.ops.torchao.dequantize_affine.default
class ChooseQParamsAffineConfig(QDQAffineConfigs):
    ...
    target_name = "choose_qparams_affine.default"
    def get_original_aten(self):
        return torch.ops.torchao.choose_qparams_affine.default
