class ConfigPrecisionType(Enum):
    ...
class XNNPartitionerConfig(PartitionerConfig):
    ...
    def get_original_aten(self):
        return None
    def supported_precision_types(self):
            return False
