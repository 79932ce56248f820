class GEMMConfig(XNNPartitionerConfig):
    ...
    def get_original_aten(self):
        return None
class LinearConfig(GEMMConfig):
    ...
    target_name = "linear.default"
    def get_original_aten(self):
        return torch.ops.aten.linear.default
    def supported_precision_types(self):
        return [
            ConfigPrecisionType.DYNAMIC_QUANT,
            ConfigPrecisionType.FP32,
            ConfigPrecisionType.STATIC_QUANT,
        ]
class ConvolutionConfig(GEMMConfig):
    ...
    target_name = "convolution.default"
    def supported_precision_types(self):
        return [
            ConfigPrecisionType.FP32,
            ConfigPrecisionType.STATIC_QUANT,
            ConfigPrecisionType.DYNAMIC_QUANT,
        ]
class AddmmConfig(GEMMConfig):
    ...
    target_name = "addmm.default"
    def supported_precision_types(self):
        return [
            ConfigPrecisionType.FP32,
            ConfigPrecisionType.STATIC_QUANT,
            ConfigPrecisionType.DYNAMIC_QUANT,
        ]
class MMConfig(AddmmConfig):
    ...
    target_name = "mm.default"
    def supported_precision_types(self):
        return [
            ConfigPrecisionType.FP32,
            ConfigPrecisionType.STATIC_QUANT,
            ConfigPrecisionType.DYNAMIC_QUANT,
        ]
