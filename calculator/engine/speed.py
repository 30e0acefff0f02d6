"""How fast: decode is bound by memory bandwidth, prefill by compute.

decode time per token = Σ over stages of bytes read ÷ (bandwidth × efficiency)
prefill time          = 2 × active params × prompt tokens ÷ (FLOPS × efficiency)
"""

from .schema import DeviceSpec

# Share of the spec-sheet bandwidth a decode step achieves (llama.cpp, batch 1). Placeholder values
# until the calibration in bench/accuracy.py fits them on ../shared/reference/calibration/.
DECODE_BANDWIDTH_EFFICIENCY = {"cuda": 0.70, "rocm": 0.60, "metal": 0.75, "vulkan": 0.60, "sycl": 0.50, "cpu": 0.60}
# Share of the spec-sheet FP16 tensor throughput a prefill achieves.
PREFILL_COMPUTE_EFFICIENCY = {"cuda": 0.45, "rocm": 0.30, "metal": 0.55, "vulkan": 0.30, "sycl": 0.25, "cpu": 0.50}


def read_seconds(bytes_read: float, device: DeviceSpec) -> float:
    eff = DECODE_BANDWIDTH_EFFICIENCY[device.backend]
    return bytes_read / (device.bandwidth_gb_s * 1e9 * eff)


def compute_seconds(flops: float, device: DeviceSpec) -> float | None:
    if not device.fp16_tflops:
        return None
    eff = PREFILL_COMPUTE_EFFICIENCY[device.backend]
    return flops / (device.fp16_tflops * 1e12 * eff)
