"""microgradlab: a scalar reverse-mode autograd engine and a small neural-network library.

>>> from microgradlab import Value
>>> x = Value(-4.0)
>>> y = (x * x).relu() + 2 * x
>>> y.backward()
>>> y.data, x.grad
(8.0, -6.0)
"""

from .engine import (
    Parameter,
    TracingError,
    Value,
    apply,
    detect_anomaly,
    dot,
    enable_grad,
    is_grad_enabled,
    logsumexp,
    no_grad,
    vsum,
    zero_grad,
)
from .chainrule import explain
from .forward import hessian, hvp, jacobian, jvp
from .gradcheck import GradcheckError, gradcheck, gradcheck_parameters, gradgradcheck, numerical_grad
from .functional import cos, exp, grad, log, relu, sigmoid, sin, softplus, sqrt, tanh, value_and_grad
from .nn import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, ExponentialLR, StepLR
from .train import History, accuracy, evaluate, fit, predict

__version__ = "0.1.0"

__all__ = [
    "Value",
    "Parameter",
    "TracingError",
    "apply",
    "vsum",
    "dot",
    "logsumexp",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "zero_grad",
    "grad",
    "value_and_grad",
    "explain",
    "jvp",
    "jacobian",
    "hessian",
    "hvp",
    "exp",
    "log",
    "sqrt",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "softplus",
    "gradcheck",
    "gradgradcheck",
    "gradcheck_parameters",
    "numerical_grad",
    "GradcheckError",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "SGD",
    "Adam",
    "StepLR",
    "ExponentialLR",
    "fit",
    "predict",
    "evaluate",
    "accuracy",
    "History",
]
