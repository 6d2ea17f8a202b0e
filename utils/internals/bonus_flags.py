"""What the bonus flags switch on, with the student's own bonus code (provided code).

``with_bonus_flags`` takes the settings of 4b and returns them with every flag applied: the
network class (``DeepFNN`` for ``--depth``/``--dropout``), batch norm, weight decay, the penalty
(``regularization`` with ``--l1``/``--l2``), the initializer, augmentation and the learning-rate
schedule. The student's functions come in as arguments: provided code never imports student files.
"""

from __future__ import annotations

from functools import partial

from utils.internals.flags import SCHEDULERS


def with_bonus_flags(args, network_class, settings, loader, deep_network, make_initializer, regularization,
                     augment_class):
    """The settings of 4b with the flags applied; also sets ``loader.augment`` for ``--augment``.

    Returns a new dict with the keys of ``settings`` (``network_params``, ``optimizer``,
    ``optimizer_params``) and ``network_class``, ``lr_scheduler``, ``scheduler_params``,
    ``regularization`` and ``initializer``.
    """
    network_class, network_params = _network(args, network_class, settings["network_params"], deep_network)
    lr_scheduler, scheduler_params = SCHEDULERS[args.scheduler](args.epochs)
    optimizer_params = dict(settings["optimizer_params"])
    if args.weight_decay:
        optimizer_params["weight_decay"] = args.weight_decay
    penalty = None
    if args.l1 or args.l2:
        penalty = partial(regularization, l1_strength=args.l1, l2_strength=args.l2)
    if args.augment:
        background = 0.0 if loader.mean_std is None else -loader.mean_std[0] / loader.mean_std[1]
        loader.augment = augment_class(background=background, seed=args.seed)
    return dict(settings, network_class=network_class, network_params=network_params,
                optimizer_params=optimizer_params, lr_scheduler=lr_scheduler, scheduler_params=scheduler_params,
                regularization=penalty, initializer=make_initializer(args.init) if args.init else None)


def _network(args, network_class, network_params, deep_network):
    params = dict(network_params)
    if args.depth == 2 and args.dropout == 0:
        if args.batch_norm:
            params["use_batch_norm"] = True
        return network_class, params
    params["hidden_shapes"] = [params.pop("hidden_shape")] * args.depth
    params.update(use_batch_norm=args.batch_norm, dropout=args.dropout)
    return deep_network, params
