import './ui/serving-playground';
