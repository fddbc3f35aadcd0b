"""placeholder until scripts/regenerate.py runs"""
