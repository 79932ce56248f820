class BatchNormConfig(XNNPartitionerConfig):
    ...
    target_name = "_native_batch_norm_legit_no_training.default"
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class MaxDimConfig(XNNPartitionerConfig):
    ...
    target_name = "max.dim"
    def get_original_aten(self):
        return None
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
class PreluConfig(XNNPartitionerConfig):
    ...
    target_name = "prelu.default"
    def get_original_aten(self):
        return torch.ops.aten.prelu.default
    def supported_precision_types(self):
        return [ConfigPrecisionType.FP32]
