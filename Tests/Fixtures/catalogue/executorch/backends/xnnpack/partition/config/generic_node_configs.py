class GenericNodePartitionerConfig(XNNPartitionerConfig):
    ...
class QuantizedPerTensorConfig(GenericNodePartitionerConfig):
    ...
    target_name = "quantize_per_tensor.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.STATIC_QUANT]
class DeQuantizedPerTensorConfig(GenericNodePartitionerConfig):
    ...
    target_name = "dequantize_per_tensor.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.STATIC_QUANT]
class HardtanhConfig(GenericNodePartitionerConfig):
    ...
    target_name = "hardtanh.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class AddConfig(GenericNodePartitionerConfig):
    ...
    target_name = "add.Tensor"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class ReLUConfig(GenericNodePartitionerConfig):
    ...
    target_name = "relu.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class AbsConfig(GenericNodePartitionerConfig):
    ...
    target_name = "abs.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class AvgPoolingConfig(GenericNodePartitionerConfig):
    ...
    target_name = "avg_pool2d.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class CatConfig(GenericNodePartitionerConfig):
    ...
    target_name = "cat.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class CeilConfig(GenericNodePartitionerConfig):
    ...
    target_name = "ceil.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class CloneConfig(GenericNodePartitionerConfig):
    ...
    target_name = "clone.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class ClampConfig(GenericNodePartitionerConfig):
    ...
    target_name = "clamp.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class DivConfig(GenericNodePartitionerConfig):
    ...
    target_name = "div.Tensor"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class EluConfig(GenericNodePartitionerConfig):
    ...
    target_name = "elu.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
    def get_original_aten(self):
        return torch.ops.aten.elu.default
class SoftmaxConfig(GenericNodePartitionerConfig):
    ...
    target_name = "_softmax.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class PermuteConfig(GenericNodePartitionerConfig):
    ...
    target_name = "permute_copy.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class SigmoidConfig(GenericNodePartitionerConfig):
    ...
    target_name = "sigmoid.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class MulConfig(GenericNodePartitionerConfig):
    ...
    target_name = "mul.Tensor"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class MaximumConfig(GenericNodePartitionerConfig):
    ...
    target_name = "maximum.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class MaxPool2dConfig(GenericNodePartitionerConfig):
    ...
    target_name = "max_pool2d.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
    def get_original_aten(self):
        return torch.ops.aten.max_pool2d.default
class UpsampleBilinear2dConfig(GenericNodePartitionerConfig):
    ...
    target_name = "upsample_bilinear2d.vec"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
    def get_original_aten(self):
        return torch.ops.aten.upsample_bilinear2d.vec
class ExpConfig(GenericNodePartitionerConfig):
    ...
    target_name = "exp.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class ViewCopyConfig(GenericNodePartitionerConfig):
    ...
    target_name = "view_copy.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class FloorConfig(GenericNodePartitionerConfig):
    ...
    target_name = "floor.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class GeluConfig(GenericNodePartitionerConfig):
    ...
    target_name = "gelu.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class HardswishConfig(GenericNodePartitionerConfig):
    ...
    target_name = "hardswish.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
    def get_original_aten(self):
        return torch.ops.aten.hardswish.default
class LeakyReLUConfig(GenericNodePartitionerConfig):
    ...
    target_name = "leaky_relu.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class LogConfig(GenericNodePartitionerConfig):
    ...
    target_name = "log.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class TanhConfig(GenericNodePartitionerConfig):
    ...
    target_name = "tanh.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class ToDimOrderCopyConfig(GenericNodePartitionerConfig):
    ...
    target_name = "_to_dim_order_copy.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class MeanDimConfig(GenericNodePartitionerConfig):
    ...
    target_name = "mean.dim"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class MinimumConfig(GenericNodePartitionerConfig):
    ...
    target_name = "minimum.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class NegConfig(GenericNodePartitionerConfig):
    ...
    target_name = "neg.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class PowConfig(GenericNodePartitionerConfig):
    ...
    target_name = "pow.Tensor_Scalar"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class SliceCopyConfig(GenericNodePartitionerConfig):
    ...
    target_name = "slice_copy.Tensor"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class SquareRootConfig(GenericNodePartitionerConfig):
    ...
    target_name = "sqrt.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class ReciprocalSquareRootConfig(GenericNodePartitionerConfig):
    ...
    target_name = "rsqrt.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class ConstantPadConfig(GenericNodePartitionerConfig):
    ...
    target_name = "constant_pad_nd.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class SubConfig(GenericNodePartitionerConfig):
    ...
    target_name = "sub.Tensor"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
class BMMConfig(GenericNodePartitionerConfig):
    ...
    target_name = "bmm.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class SinConfig(GenericNodePartitionerConfig):
    ...
    target_name = "sin.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class CloneDimOrderConfig(GenericNodePartitionerConfig):
    ...
    target_name = "_clone_dim_order.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class CosConfig(GenericNodePartitionerConfig):
    ...
    target_name = "cos.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class UnsqueezeCopyConfig(GenericNodePartitionerConfig):
    ...
    target_name = "unsqueeze_copy.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32, ConfigPrecisionType.STATIC_QUANT]
