# usage: /usr/bin/python3 torch_gradients.py MODEL.onnx ARCH JOB_OUTPUT
# The reference for GradientsModelsTest: PyTorch's autograd on the torchvision architecture ARCH with the ONNX
# model's own weights (its initializers, by state_dict name), in float64, over the pixels the gradients job saw
# (JOB_OUTPUT/inputs/images.npy, NHWC in 0..1, labels.tsv), normalized as torchvision does (imagenet mean/std).
# The pixels themselves are not the reference: they are the input both computations take.
# torch.onnx.export stores equal tensors once (squeezenet's zero-initialized biases share one initializer, read through
# Identity nodes named as the torch parameters), so each torch parameter is mapped to the initializer behind it and an initializer's reference gradient is the sum
# over the torch parameters that read it.
# Prints one JSON object: the summed softmax cross-entropy, and per parameter the L2 norm of PyTorch's summed
# gradient and of its difference to the job's JOB_OUTPUT/sum/NAME.npy; the same for the input gradient
# (inputs/gradients.npy, d loss / d pixels before normalization, NHWC).
import json
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

model_path, arch, out = sys.argv[1:4]
onnx_model = onnx.load(model_path)
weights = {t.name: numpy_helper.to_array(t) for t in onnx_model.graph.initializer}
net = getattr(torchvision.models, arch)(weights=None).double().eval()
source = {k: k for k in weights}                     # torch parameter name -> the initializer holding it
for node in onnx_model.graph.node:   # the exporter's aliases: Identity(initializer) named as the torch parameter
    if node.op_type == "Identity" and node.input[0] in weights:
        source[node.output[0]] = node.input[0]
state = {k: torch.from_numpy(np.array(weights[source[k]], dtype=np.float64)) for k in net.state_dict()}
net.load_state_dict(state, strict=True)

x = np.load(out + "/inputs/images.npy")                      # [N, H, W, 3], 0..1
labels = [int(l.split("\t")[1]) for l in open(out + "/inputs/labels.tsv").read().splitlines()[1:]]
# normalized in float32 as the job does (jobs.images.Normalize: (v - mean) / std in float32), then widened: the same inputs
mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
normalized = torch.tensor(((x.astype(np.float32) - mean) / std).astype(np.float64), requires_grad=True)
logits = net(normalized.permute(0, 3, 1, 2))
loss = torch.nn.functional.cross_entropy(logits, torch.tensor(labels), reduction="sum")
loss.backward()
pixel_gradient = normalized.grad.numpy() / std.astype(np.float64)     # d loss / d pixels: normalization is v / std - mean / std

manifest = json.load(open(out + "/manifest.json"))
files = {p["name"]: p["file"] for p in manifest["parameters"]}
result = {"loss": loss.item(), "examples": len(labels), "torch_parameters": len(list(net.parameters())), "parameters": {}}
refs = {}
for name, p in net.named_parameters():
    refs[source[name]] = refs.get(source[name], 0) + p.grad.numpy()
for name, ref in refs.items():
    ours = np.load(out + "/sum/" + files[name])
    result["parameters"][name] = {"shape": list(ours.shape), "ref_l2": float(np.linalg.norm(ref)),
                                  "diff_l2": float(np.linalg.norm(ours.reshape(ref.shape) - ref)) if ours.size == ref.size else None}
ig = np.load(out + "/inputs/gradients.npy")
result["input"] = {"ref_l2": float(np.linalg.norm(pixel_gradient)), "diff_l2": float(np.linalg.norm(ig - pixel_gradient))}
print(json.dumps(result))
