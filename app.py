"""Draw-a-digit demo: `python app.py [--host H] [--port P] [--share] [--auth user:pass] [--weights W]`.

Hugging Face Spaces runs this file as is (PORT / GRADIO_SERVER_NAME come from the environment).
"""
import argparse
import contextlib
import io
import os
import signal
import sys

from mnist_mlp.inference import Predictor, one_blas_thread
from mnist_mlp.weights import DEFAULT_WEIGHTS, WeightsError


SESSION_CAPACITY = 1000  # the most recent sessions keep their state (~150 MB in all)
ANALYTICS_LIMITS = {"GRADIO_ANALYTICS_MAX_EVENTS": "500", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "100"}


def parse_auth(text):
    user, sep, password = (text or "").partition(":")
    if not sep or not user or not password:
        raise argparse.ArgumentTypeError("expected user:password")
    return user, password


def load_predictor(path):
    """The requested weights; if they are broken, say which file and why and use the shipped ones."""
    try:
        return Predictor.load(path)
    except WeightsError as error:
        if os.path.abspath(path) == os.path.abspath(DEFAULT_WEIGHTS):
            sys.exit(f"error: the shipped weights are unusable: {error}")
        print(f"warning: {error}; using the shipped weights {DEFAULT_WEIGHTS} instead", file=sys.stderr)
        return load_predictor(str(DEFAULT_WEIGHTS))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for a container)")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT") or os.environ.get("GRADIO_SERVER_PORT") or 7860))
    p.add_argument("--share", action="store_true", help="also open a public gradio.live link (72 h)")
    p.add_argument("--auth", type=parse_auth, default=os.environ.get("MNIST_APP_AUTH") or None,
                   metavar="USER:PASSWORD", help="require a login (or set MNIST_APP_AUTH=user:password)")
    p.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="weights file (.safetensors)")
    p.add_argument("--data-dir", help="MNIST root for the Retrain tab (default $MNIST_ROOT, then ./data)")
    p.add_argument("--save-dir", help="where the Retrain tab saves new weights (default: beside --weights)")
    p.add_argument("--corrections-dir", default=os.environ.get("MNIST_CORRECTIONS_DIR", "corrections"),
                   help="where 'Wrong? It's a …' corrections are stored (default ./corrections)")
    p.add_argument("--allow-public-training", action="store_true",
                   help="allow training, saving and server-side corrections on a --share link without --auth")
    args = p.parse_args(argv)
    if isinstance(args.auth, str):  # from the environment
        args.auth = parse_auth(args.auth)

    import warnings

    # Gradio records every event (10,000 by default) and rebuilds a DataFrame of all of them after
    # each one: measured, 16 clients' throughput fell 25 % over 5 minutes as the record filled.
    for name, value in ANALYTICS_LIMITS.items():
        os.environ.setdefault(name, value)

    from PIL import Image
    from starlette.middleware import Middleware

    from mnist_mlp import sessions
    from mnist_mlp.guard import RequestLimits
    from mnist_mlp.preprocess import MAX_PIXELS
    from mnist_mlp.ui import CSS, build_demo  # gradio is slow to import: after the flags are checked

    # Gradio decodes sketchpad uploads itself: hold it to our pixel limit too, and make PIL refuse
    # (not just warn about) images between 1x and 2x the limit.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    warnings.simplefilter("error", Image.DecompressionBombWarning)

    sessions.install()  # each API call's session no longer builds the config of all 87 blocks
    one_blas_thread()  # requests run on threads of their own: no BLAS worker spinning between them
    predictor = load_predictor(args.weights)
    public = args.share or bool(os.environ.get("SPACE_ID"))  # a Hugging Face Space is public too
    allow_training = not public or bool(args.auth) or args.allow_public_training
    demo = build_demo(predictor, allow_training=allow_training, data_dir=args.data_dir, save_dir=args.save_dir,
                      corrections_dir=args.corrections_dir)
    demo.queue(default_concurrency_limit=4, max_size=64)
    # Gradio prints a multi-line how-to when the share tunnel fails (no internet): say it in one
    # line instead and keep serving locally.
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            demo.launch(server_name=args.host, server_port=args.port, share=args.share, auth=args.auth,
                        max_file_size="10mb", css=CSS, show_error=True, prevent_thread_lock=True,
                        app_kwargs={"middleware": [Middleware(RequestLimits)]},
                        # Gradio keeps a state for every session (each raw API call is a new one):
                        # 150 KB each here (measured, 87 components), 10,000 by default = 1.5 GB.
                        state_session_capacity=SESSION_CAPACITY)
    except OSError as error:  # e.g. the port is taken
        sys.exit(f"error: {error}")
    # A Retrain run is a child process: stop it (and remove its files) when the server stops,
    # also on SIGTERM (a container's stop), not only on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"* Running on local URL:  {demo.local_url}", flush=True)
    if args.share:
        print(f"* Running on public URL: {demo.share_url}" if demo.share_url else
              "* Public link unavailable (could not reach Gradio's share server); serving locally only.",
              flush=True)
    try:
        demo.block_thread()
    finally:
        demo.training_job.close()


if __name__ == "__main__":
    main()
