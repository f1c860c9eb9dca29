"""The lecture's printed gradient-descent and momentum sequences (L20-L24), through the public API.

Each run moves a float64 ``abcdl.Parameter`` with an abcdl optimizer, the way
the lecture's loop moves ``xp``::

    p.grad[:] = df(p.data); opt.step()        # xp = xp - alpha*diff_f(xp)

The expected numbers are copied from the lecture's printed output
(``shared/lecture/000_5f5d998247d0da0f.txt``).
"""

from __future__ import annotations

import numpy as np
import pytest

import abcdl
from abcdl.optim import SGD, AdaGrad, Momentum


def df_square(x):
    """f(x) = x^2,  f'(x) = 2x  (L20)."""
    return 2 * x


def df_local(x):
    """f(x) = (x-2)^2 (x+3)^2 - 2(x-2)^2 = x^4 + 2x^3 - 13x^2 - 4x + 28  (L21).

    f'(x) = 4x^3 + 6x^2 - 26x - 4 = 2(x-2)(2x^2 + 7x + 1), zero at 2 and (-7 ± sqrt 41)/4 ~ -3.35, -0.15.
    The factored form, with the quadratic in Horner form, is exactly 0 at x = 2 and rounds the way
    the lecture's own code did: every printed value, including the whole chaotic alpha = 0.045 run,
    comes out to the last digit (the expanded polynomial leaves the printout within a few steps).
    """
    return 2 * (x - 2) * ((2 * x + 7) * x + 1)


def run(opt_cls, df, x0: float, steps: int, **kw) -> list[float]:
    """[x_0, x_1, ..., x_steps] from the optimizer driving a one-element float64 Parameter."""
    p = abcdl.Parameter(np.array([x0], dtype=np.float64))
    opt = opt_cls([p], **kw)
    xs = [float(p.data[0])]
    for _ in range(steps):
        p.grad[:] = df(p.data)
        opt.step()
        xs.append(float(p.data[0]))
    return xs


# L20, alpha = 1.5: diverges, x_n = 2 (-2)^n.
L20_ALPHA_15 = [2, -4.0, 8.0, -16.0, 32.0, -64.0, 128.0, -256.0, 512.0, -1024.0, 2048.0, -4096.0, 8192.0,
                -16384.0, 32768.0, -65536.0, 131072.0, -262144.0, 524288.0, -1048576.0, 2097152.0]
# L20, alpha = 0.4: converges, x_n = 2 (0.2)^n (the lecture prints the rounding too).
L20_ALPHA_04 = [2, 0.3999999999999999, 0.0799999999999996, 0.01599999999999986, 0.003199999999999963,
                0.000639999999999991, 0.0001279999999999975, 2.559999999999945e-05, 5.11999999999988e-06,
                1.023999999999973e-06, 2.04799999999994e-07, 4.09599999999986e-08, 8.19199999999972e-09,
                1.638399999999938e-09, 3.276799999999986e-10, 6.553599999999972e-11, 1.310719999999942e-11,
                2.6214399999999877e-12, 5.242879999999976e-13, 1.048575999999949e-13, 2.097151999999988e-14]
# L20, alpha = 0.001: crawls, x_n = 2 (0.998)^n.  The lecture text prints x_14 = 1.944722079042557, one
# digit short (2 * 0.998^14 = 1.94472220790...); the value below restores the dropped 2.
L20_ALPHA_0001 = [2, 1.996, 1.992008, 1.988023984, 1.984047936032, 1.980079840159936, 1.9761196804796162,
                  1.972167441118657, 1.9682231062364197, 1.9642866600239468, 1.960358086703899,
                  1.9564373705304912, 1.95252449578943, 1.9486194467978513, 1.9447222079042557,
                  1.9408327634884472, 1.9369510979614704, 1.9330771957655475, 1.9292110413740164,
                  1.9253526192912684, 1.9215019140526859]


@pytest.mark.parametrize(("alpha", "printed"), [
    (1.5, L20_ALPHA_15), (0.4, L20_ALPHA_04), (0.001, L20_ALPHA_0001),
])
def test_lecture_gd_l20_learning_rates(alpha, printed):
    xs = run(SGD, df_square, 2.0, 20, lr=alpha)
    np.testing.assert_allclose(xs, printed, rtol=1e-13, atol=0)
    assert xs[0] == 2 and len(xs) == 21


def test_lecture_gd_l20_exact_values():
    assert run(SGD, df_square, 2.0, 20, lr=1.5)[20] == 2097152.0
    assert run(SGD, df_square, 2.0, 20, lr=0.001)[20] == 1.9215019140526859
    assert run(SGD, df_square, 2.0, 2, lr=0.001)[1:] == [1.996, 1.992008]


# L21, alpha = 0.02 from x0 = 3: stops in the local minimum at 2, exactly 2.0 from x_17.
L21_ALPHA_002 = [3, 1.4, 1.75328, 1.9449413876409958, 1.9937897931322763, 1.9994800626095377,
                 1.9999582428190736, 1.9999966583793345, 1.999999732663647, 1.999999978613049,
                 1.9999999982890437, 1.9999999998631235, 1.9999999999890499, 1.999999999999124,
                 1.9999999999999298, 1.999999999999944, 1.999999999999996, 2.0, 2.0, 2.0, 2.0]
# L21, alpha = 0.045 from x0 = 3: bounces chaotically between the two basins.
L21_ALPHA_0045 = [3, -0.5999999999999996, -1.1803199999999991, -2.46145989967282, -4.112817823095517,
                  -0.7894410574482342, -1.6127969523421908, -3.266957794648962, -3.514720908301343,
                  -2.9670364427439253, -3.9338105487727217, -1.5770485588571086, -3.2077026754479245,
                  -3.617905727574734, -2.6809349763872192, -4.1098129051771135, -0.8036767469550297,
                  -1.6449340128907677, -3.318917360325944, -3.4156136661143823, -3.209179142181531,
                  -3.6154603262064997, -2.688125447623336, -4.107857274317206, -0.8129225651438969,
                  -1.665771034739621, -3.3519266859785644, -3.3483920632374096, -3.355749879317858,
                  -3.3403902233884777, -3.3722649230603525, -3.3053059451120395, -3.4423643599518403,
                  -3.14691209820452, -3.71309603367323, -2.385233762991075, -4.089405994816705,
                  -0.8994239370999506, -1.8592018752050916, -3.630974928899266, -2.642164452730028]


def test_lecture_gd_l21_stuck_in_local_minimum():
    xs = run(SGD, df_local, 3.0, 20, lr=0.02)
    np.testing.assert_allclose(xs, L21_ALPHA_002, rtol=1e-13, atol=0)
    assert xs[1:4] == [1.4, 1.75328, 1.9449413876409958]
    assert xs[16] != 2.0 and all(x == 2.0 for x in xs[17:])        # f'(2) = 0: no more updates


def test_lecture_gd_l21_bounces_with_a_large_rate():
    xs = run(SGD, df_local, 3.0, 40, lr=0.045)
    assert xs[1:3] == [-0.5999999999999996, -1.1803199999999991]
    # The map x -> x - 0.045 f'(x) is chaotic here: a last-bit difference in how f' is rounded
    # roughly doubles every step, so only the same arithmetic reproduces all 40 printed values.
    assert xs == L21_ALPHA_0045


# L22, momentum beta = 0.9, alpha = 0.02 from x0 = 3: escapes the local minimum, settles near -3.35.
L22_MOMENTUM = [3, 1.4, 0.3132799999999998, -0.4360994561759646, -1.2734995252188481, -2.638766436929365,
                -4.525318703609472, -3.5400600761547603, -2.368871785031992, -2.076558008372518,
                -2.6143920260944684, -3.76857286454931, -4.109506094413966, -2.9477336351869767,
                -2.3485958361632866, -2.5761799069894527, -3.4692362164620314, -4.100914586718611,
                -3.2226301269464575, -2.596733134048547, -2.712103333004605, -3.4329797246738853,
                -3.964450558622487, -3.3256130241749418, -2.7847191365302355, -2.868963711907946,
                -3.455214906293401, -3.8321645080250972, -3.3442273759695094, -2.914036210795086,
                -3.0015678046053957, -3.478902383682647, -3.721518011115125, -3.3336734580165635,
                -3.0078589506893336, -3.1073585627656213, -3.4911238273007283, -3.6304802479548526,
                -3.3173064512078434, -3.0805622696561947, -3.1894392208702786]


def test_lecture_gd_l22_momentum_escapes_local_minimum():
    xs = run(Momentum, df_local, 3.0, 40, lr=0.02, momentum=0.9)
    assert xs == L22_MOMENTUM
    assert xs[1] == 1.4
    assert xs[20] == -2.712103333004605
    assert xs[40] == -3.1894392208702786
    assert min(xs) < -3.35 < -0.15 < xs[1]                         # it went past the hump at -0.15


def test_lecture_gd_l23_l24_first_steps():
    # f(x, y) = x^2/20 + y^2 from (-7, 2); grad f = (x/10, 2y) = (-0.7, 4).
    # Gradient descent, alpha = 0.95: the step -alpha grad f = (0.665, -3.80) is pulled towards y,
    # the steep direction; AdaGrad, alpha = 0.95: the step -alpha g / sqrt(g ⊙ g) = (0.95, -0.95).
    def grad_f(X):
        return np.array([X[0] / 10, 2 * X[1]])

    for cls, kw, step in [(SGD, {}, [0.665, -3.80]), (AdaGrad, {"eps": 1e-8}, [0.95, -0.95])]:
        p = abcdl.Parameter(np.array([-7.0, 2.0]))
        opt = cls([p], lr=0.95, **kw)
        p.grad[:] = grad_f(p.data)
        opt.step()
        np.testing.assert_allclose(p.data - [-7.0, 2.0], step, rtol=1e-7)
