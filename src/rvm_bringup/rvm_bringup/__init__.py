"""Launch files, parameters, rviz config and the standalone runner of rvm-edge."""
