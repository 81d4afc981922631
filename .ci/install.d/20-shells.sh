# zsh and fish for the paste-safety test (cmd/cognitojwt TestDevBannerPastes):
# the lines proxy --dev, issuer and examples/api print must run as printed
# in bash, zsh with default options (macOS's shell) and fish.
apt_install zsh fish
